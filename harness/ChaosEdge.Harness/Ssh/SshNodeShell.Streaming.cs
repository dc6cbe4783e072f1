using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using ChaosEdge.Errors;
using ChaosEdge.Secrets;

namespace ChaosEdge.Ssh;

public sealed partial class SshNodeShell
{
    /// <inheritdoc />
    public async IAsyncEnumerable<string> StreamLinesAsync(string command, NodeCommandOptions? commandOptions = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        commandOptions ??= new NodeCommandOptions();
        var display = SecretRedactor.Redact(command, commandOptions.Secrets);
        var timeout = commandOptions.Timeout ?? Timeout.InfiniteTimeSpan;
        await channels.WaitAsync(cancellationToken).ConfigureAwait(false);
        RunningCommand? running = null;
        try
        {
            running = await StartAsync(command, timeout, cancellationToken).ConfigureAwait(false);
            var input = commandOptions.StandardInput is { } text ? new MemoryStream(Encoding.UTF8.GetBytes(text), writable: false) : null;
            await using (input)
            {
                await WriteInputAsync(running, input, cancellationToken).ConfigureAwait(false);
            }

            // Lines go through a channel so that the caller's cancellation and a lost connection end the enumeration
            // even while a read of the command's output is still pending.
            var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var output = running.Command.OutputStream;
            // SSH.NET's output stream blocks its reader: the pump has a thread of its own, never a pool thread.
            _ = Task.Factory.StartNew(
                () =>
                {
                    try
                    {
                        using var reader = new StreamReader(output, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
                        string? line;
                        while ((line = reader.ReadLine()) is not null)
                        {
                            lines.Writer.TryWrite(line);
                        }

                        lines.Writer.TryComplete();
                    }
                    catch (Exception e) when (e is IOException or ObjectDisposedException)
                    {
                        lines.Writer.TryComplete(e);
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            _ = running.Execution.ContinueWith(
                t =>
                {
                    if (t.Exception?.InnerException is { } error && IsConnectionFailure(error))
                    {
                        lines.Writer.TryComplete(error);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);

            while (await WaitForLineAsync(lines.Reader, running.Client, display, cancellationToken).ConfigureAwait(false))
            {
                while (lines.Reader.TryRead(out var line))
                {
                    yield return line;
                }
            }

            await EndAsync(running, display, timeout, commandOptions.Secrets, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Ending the enumeration early (or cancelling) ends the command on the node, in the background: the caller
            // goes on at once (a probe whose node lost power must not wait for that node).
            if (running is null)
            {
                channels.Release();
            }
            else if (running.Execution.IsCompleted)
            {
                running.Dispose();
                channels.Release();
            }
            else
            {
                EndInBackground(running, channels);
            }
        }
    }

    private async Task<bool> WaitForLineAsync(ChannelReader<string> lines, Renci.SshNet.SshClient client, string display, CancellationToken cancellationToken)
    {
        try
        {
            return await lines.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionFailure(e) || e is IOException)
        {
            Drop(client, e.Message);
            throw new NodeCommandFailedException(node.Name, display, 255, string.Empty, string.Empty, $"Connection to node '{node.Name}' ({Endpoint}) was lost while streaming a command's output: {e.Message}");
        }
    }

    /// <summary>Waits for a streamed command's exit, after its output ended, and throws unless it exited 0.</summary>
    private async Task EndAsync(RunningCommand running, string display, TimeSpan timeout, IReadOnlyList<string> secrets, CancellationToken cancellationToken)
    {
        try
        {
            await running.Execution.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            Drop(running.Client, e.Message);
            throw new NodeCommandFailedException(node.Name, display, 255, string.Empty, string.Empty, $"Connection to node '{node.Name}' ({Endpoint}) was lost while streaming a command's output: {e.Message}");
        }

        var exitCode = running.ExitCode;
        if (exitCode == 0)
        {
            return;
        }

        var errors = SecretRedactor.Redact(await running.StderrAsync().ConfigureAwait(false), secrets);
        if (exitCode is null)
        {
            Drop(running.Client, "a command's channel closed without an exit status");
            throw new NodeCommandFailedException(node.Name, display, 255, string.Empty, errors, $"Connection to node '{node.Name}' ({Endpoint}) was lost while streaming a command's output.");
        }

        if (exitCode == TimedOutExitCode && Timeout.InfiniteTimeSpan != timeout)
        {
            throw new NodeCommandTimeoutException(node.Name, display, timeout, string.Empty, errors);
        }

        throw new NodeCommandFailedException(node.Name, display, exitCode.Value, string.Empty, errors);
    }
}
