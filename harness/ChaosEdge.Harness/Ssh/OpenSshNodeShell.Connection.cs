using System.Text;
using ChaosEdge.Errors;
using ChaosEdge.Processes;
using Polly;
using Polly.Retry;

namespace ChaosEdge.Ssh;

public sealed partial class OpenSshNodeShell
{
    /// <inheritdoc />
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CloseMasterAsync().ConfigureAwait(false);
            var attempt = 0;
            string lastError = string.Empty;
            var pipeline = new ResiliencePipelineBuilder
            {
                TimeProvider = options.TimeProvider,
            }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<TransientConnectException>(),
                MaxRetryAttempts = options.ConnectAttempts - 1,
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    options.Logger.SshConnectRetry(node.Name, args.AttemptNumber + 1, args.Outcome.Exception?.Message ?? "unknown error", args.RetryDelay);
                    return default;
                },
            })
            .Build();

            try
            {
                await pipeline.ExecuteAsync(
                    async token =>
                    {
                        attempt++;
                        try
                        {
                            await StartMasterAsync(attempt, token).ConfigureAwait(false);
                        }
                        catch (TransientConnectException e)
                        {
                            lastError = e.Message;
                            throw;
                        }
                    },
                    cancellationToken).ConfigureAwait(false);
            }
            catch (TransientConnectException)
            {
                throw new NodeUnreachableException(node.Name, Endpoint, attempt, lastError);
            }
        }
        finally
        {
            connectLock.Release();
        }
    }

    private async Task EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (master is { HasExited: false } && File.Exists(controlPath))
        {
            return;
        }

        await ConnectAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task StartMasterAsync(int attempt, CancellationToken cancellationToken)
    {
        options.Logger.SshConnecting(node.Name, Endpoint, attempt);
        File.Delete(presentedKeyFile);
        var started = options.TimeProvider.GetTimestamp();

        // The master's session reads our stdin until it closes: when the harness exits, even by SIGKILL, the pipe
        // closes, the remote 'cat' ends and the master goes with it, so no connection outlives the harness.
        var arguments = ClientArguments(master: true).Append("--").Append("exec cat >/dev/null");
        var process = ProcessRunner.Start("ssh", arguments, redirectInput: true);
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        var deadline = options.ConnectTimeout + TimeSpan.FromSeconds(2);
        while (!File.Exists(controlPath))
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                string error;
                lock (stderr)
                {
                    error = stderr.ToString().Trim();
                }

                process.Dispose();
                throw Classify(error);
            }

            if (options.TimeProvider.GetElapsedTime(started) > deadline)
            {
                ProcessRunner.Kill(process);
                process.Dispose();
                throw new TransientConnectException($"no answer within {deadline:c}");
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(5), options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                ProcessRunner.Kill(process);
                process.Dispose();
                throw;
            }
        }

        master = process;
        if (node.Ssh.TrustOnFirstUse && node.Ssh.KnownHostsPath is { } knownHosts)
        {
            options.Logger.HostKeyRecorded(node.Name, knownHosts);
        }

        options.Logger.SshConnected(node.Name, Endpoint, options.TimeProvider.GetElapsedTime(started));
    }

    private Exception Classify(string error)
    {
        if (error.Contains("Host key verification failed", StringComparison.Ordinal)
            || error.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED", StringComparison.Ordinal))
        {
            var presented = File.Exists(presentedKeyFile) ? File.ReadAllText(presentedKeyFile).Trim() : null;
            var expected = node.Ssh.HostKeyFingerprint ?? $"a key listed in '{node.Ssh.KnownHostsPath}'";
            return new HostKeyMismatchException(node.Name, Endpoint, expected, presented);
        }

        if (error.Contains("Permission denied", StringComparison.Ordinal))
        {
            return new ChaosEdgeException($"Node '{node.Name}' ({Endpoint}) refused the key '{node.Ssh.PrivateKeyPath}' for user '{node.Ssh.User}': {error}");
        }

        return new TransientConnectException(error.Length == 0 ? "ssh exited without saying why" : error.ReplaceLineEndings(" "));
    }

    private async Task CloseMasterAsync()
    {
        if (master is not { } process)
        {
            return;
        }

        master = null;
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already gone.
        }

        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ProcessRunner.Kill(process);
        }

        process.Dispose();
        File.Delete(controlPath);
    }

    /// <summary>A connection attempt failed in a way worth retrying (refused, timed out, unreachable).</summary>
    private sealed class TransientConnectException(string message) : Exception(message);
}
