using System.Runtime.CompilerServices;
using System.Text;
using ChaosEdge.Errors;
using ChaosEdge.Processes;
using ChaosEdge.Secrets;

namespace ChaosEdge.Ssh;

public sealed partial class OpenSshNodeShell
{
    /// <inheritdoc />
    public async IAsyncEnumerable<string> StreamLinesAsync(string command, NodeCommandOptions? commandOptions = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        commandOptions ??= new NodeCommandOptions();
        await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
        var display = SecretRedactor.Redact(command, commandOptions.Secrets);
        var timeout = commandOptions.Timeout ?? Timeout.InfiniteTimeSpan;
        var remote = Timeout.InfiniteTimeSpan == timeout ? command : WrapWithTimeout(command, timeout);
        using var process = ProcessRunner.Start("ssh", ClientArguments(master: false, dedicated: true).Append("--").Append(remote), redirectInput: true);
        var stderr = new StringBuilder();
        var stderrDone = Task.Run(
            async () =>
            {
                string? line;
                while ((line = await process.StandardError.ReadLineAsync(CancellationToken.None).ConfigureAwait(false)) is not null)
                {
                    lock (stderr)
                    {
                        stderr.AppendLine(line);
                    }
                }
            },
            CancellationToken.None);

        try
        {
            if (commandOptions.StandardInput is { } input)
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken).ConfigureAwait(false);
            }

            process.StandardInput.Close();
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                if (line is null)
                {
                    break;
                }

                yield return line;
            }

            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await stderrDone.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                string errors;
                lock (stderr)
                {
                    errors = SecretRedactor.Redact(stderr.ToString(), commandOptions.Secrets);
                }

                if (process.ExitCode == TimedOutExitCode && Timeout.InfiniteTimeSpan != timeout)
                {
                    throw new NodeCommandTimeoutException(node.Name, display, timeout, string.Empty, errors);
                }

                throw new NodeCommandFailedException(node.Name, display, process.ExitCode, string.Empty, errors);
            }
        }
        finally
        {
            // Ending the local client closes the channel; the node-side command gets SIGPIPE on its next line.
            if (!process.HasExited)
            {
                ProcessRunner.Kill(process);
            }
        }
    }
}
