using System.Globalization;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;
using Polly;
using Polly.Retry;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace ChaosEdge.Ssh;

public sealed partial class SshNodeShell
{
    /// <inheritdoc />
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (connection is { } previous)
            {
                RunningCommand.Aside(previous.Dispose);
            }

            connection = null;
            await ConnectLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            connectLock.Release();
        }
    }

    private async Task<SshClient> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (Volatile.Read(ref connection) is { IsUsable: true } current)
        {
            return current.Client;
        }

        await connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (connection is { IsUsable: true } again)
            {
                return again.Client;
            }

            if (connection is { } lost)
            {
                options.Logger.SshConnectionLost(node.Name, Endpoint, lost.LossReason ?? "the connection closed");

                // Closing a dead connection blocks in SSH.NET (channel and session close timeouts): not on this thread.
                RunningCommand.Aside(lost.Dispose);
                connection = null;
            }

            await ConnectLockedAsync(cancellationToken).ConfigureAwait(false);
            return connection!.Client;
        }
        finally
        {
            connectLock.Release();
        }
    }

    /// <summary>Forgets <paramref name="client"/>'s connection if it is still the current one; the next call reconnects.</summary>
    private void Drop(SshClient client, string reason)
    {
        if (Volatile.Read(ref connection) is { } current && ReferenceEquals(current.Client, client))
        {
            current.MarkLost(reason);
        }
    }

    private async Task ConnectLockedAsync(CancellationToken cancellationToken)
    {
        var attempt = 0;
        var lastError = string.Empty;
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider }
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
            connection = await pipeline.ExecuteAsync(
                async token =>
                {
                    attempt++;
                    try
                    {
                        return await OpenAsync(attempt, token).ConfigureAwait(false);
                    }
                    catch (TransientConnectException e)
                    {
                        lastError = e.Message;
                        throw;
                    }
                },
                cancellationToken).ConfigureAwait(false);
            Connections++;
        }
        catch (TransientConnectException)
        {
            throw new NodeUnreachableException(node.Name, Endpoint, attempt, lastError);
        }
    }

    private async Task<NodeConnection> OpenAsync(int attempt, CancellationToken cancellationToken)
    {
        options.Logger.SshConnecting(node.Name, Endpoint, attempt);
        var started = options.TimeProvider.GetTimestamp();
        SshClient? jump = null;
        ForwardedPortLocal? forward = null;
        try
        {
            var host = node.Address.ToString();
            var port = node.Ssh.Port;
            if (node.Ssh.JumpHost is { } jumpHost)
            {
                jump = await OpenClientAsync(jumpHost.Host, $"jump host '{jumpHost.Host}' of node '{node.Name}'", jumpHost.Host, jumpHost.Ssh, jumpHost.Host, jumpHost.Ssh.Port, cancellationToken).ConfigureAwait(false);

                // The node's SSH port, forwarded from a loopback port the system picks through a channel on the jump
                // host's connection. The node's own host key is verified exactly as on a direct connection.
                forward = new ForwardedPortLocal(System.Net.IPAddress.Loopback.ToString(), 0, host, (uint)port);
                jump.AddForwardedPort(forward);
                forward.Start();
                host = System.Net.IPAddress.Loopback.ToString();
                port = (int)forward.BoundPort;
            }

            var client = await OpenClientAsync(node.Name, $"node '{node.Name}'", node.Address.ToString(), node.Ssh, host, port, cancellationToken).ConfigureAwait(false);
            var opened = new NodeConnection(client, jump, forward);
            options.Logger.SshConnected(node.Name, Endpoint, options.TimeProvider.GetElapsedTime(started));
            return opened;
        }
        catch
        {
            forward?.Dispose();
            jump?.Dispose();
            throw;
        }
    }

    /// <summary>Connects and authenticates to one SSH server, verifying its host key.</summary>
    /// <param name="name">The server's name (a node's, or the jump host's address), for host-key messages.</param>
    /// <param name="who">The server, for other messages ("node 'edge-1'").</param>
    /// <param name="keyHost">The name its host key is listed under (its address; not the loopback end of a forward).</param>
    /// <param name="ssh">User, key and host-key verification.</param>
    /// <param name="connectHost">Where to connect.</param>
    /// <param name="connectPort">Which port.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    private async Task<SshClient> OpenClientAsync(string name, string who, string keyHost, SshSpec ssh, string connectHost, int connectPort, CancellationToken cancellationToken)
    {
        var endpoint = ssh.Port == 22 ? keyHost : $"{keyHost}:{ssh.Port.ToString(CultureInfo.InvariantCulture)}";
        PrivateKeyFile key;
        try
        {
            key = new PrivateKeyFile(ssh.PrivateKeyPath);
        }
        catch (Exception e) when (e is SshException or IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ChaosEdgeException($"The private key '{ssh.PrivateKeyPath}' for {who} cannot be used: {e.Message}");
        }

        var check = new HostKeyCheck(name, endpoint, KnownHostsFile.HostName(keyHost, ssh.Port), ssh);
        var info = new ConnectionInfo(connectHost, connectPort, ssh.User, new PrivateKeyAuthenticationMethod(ssh.User, key))
        {
            Timeout = options.ConnectTimeout,

            // A live node acknowledges a channel's close within milliseconds; a dead one never does.
            ChannelCloseTimeout = TimeSpan.FromMilliseconds(500),
        };
        check.Restrict(info.HostKeyAlgorithms);
        var client = new SshClient(info);
        client.HostKeyReceived += check.OnHostKeyReceived;
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(options.ConnectTimeout + TimeSpan.FromSeconds(2));
            // SSH.NET's key exchange and authentication block the connecting thread (even through ConnectAsync): the
            // whole connect runs on a thread of its own, so that a reconnection (a node back from a power-off, on a
            // busy machine) never holds a pool thread the probes' timers need. A connect given up on here ends at
            // ConnectionInfo.Timeout or when the client is disposed below.
            var connecting = Task.Factory.StartNew(client.Connect, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            _ = connecting.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            try
            {
                await connecting.WaitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TransientConnectException($"no answer within {options.ConnectTimeout + TimeSpan.FromSeconds(2):c}");
            }
            catch (Exception) when (check.Refusal is { } refusal)
            {
                throw refusal;
            }
            catch (SshAuthenticationException e)
            {
                throw new ChaosEdgeException($"The SSH server of {who} ({endpoint}) refused the key '{ssh.PrivateKeyPath}' for user '{ssh.User}': {e.Message}");
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or SshConnectionException or SshOperationTimeoutException or ProxyException or IOException)
            {
                throw new TransientConnectException(e.Message);
            }

            if (check.Record())
            {
                options.Logger.HostKeyRecorded(name, ssh.KnownHostsPath!);
            }

            // A keep-alive every few seconds lets a connection to a node that vanished (power-off) fail, not hang.
            client.KeepAliveInterval = TimeSpan.FromSeconds(5);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>A connection attempt failed in a way worth retrying (refused, timed out, unreachable).</summary>
    private sealed class TransientConnectException(string message) : Exception(message);

    /// <summary>The connection to the node, and to its jump host when it has one.</summary>
    private sealed class NodeConnection : IDisposable
    {
        private readonly SshClient? jump;
        private readonly ForwardedPortLocal? forward;
        private volatile string? lossReason;

        public NodeConnection(SshClient client, SshClient? jump, ForwardedPortLocal? forward)
        {
            Client = client;
            this.jump = jump;
            this.forward = forward;
            client.ErrorOccurred += OnError;
            if (jump is not null)
            {
                jump.ErrorOccurred += OnError;
            }
        }

        public SshClient Client { get; }

        /// <summary>Why the connection is no longer used, once it is not.</summary>
        public string? LossReason => lossReason;

        public bool IsUsable => lossReason is null && Client.IsConnected;

        public void MarkLost(string reason) => lossReason ??= reason;

        public void Dispose()
        {
            Client.ErrorOccurred -= OnError;
            Client.Dispose();
            if (jump is not null)
            {
                jump.ErrorOccurred -= OnError;
                forward?.Dispose();
                jump.Dispose();
            }
        }

        private void OnError(object? sender, ExceptionEventArgs e) => MarkLost(e.Exception.Message);
    }

    /// <summary>Verifies a presented host key against a pinned fingerprint or a known_hosts file.</summary>
    private sealed class HostKeyCheck(string name, string endpoint, string hostName, SshSpec ssh)
    {
        private byte[]? unknownKey;

        /// <summary>Why the key was refused, once it was.</summary>
        public HostKeyMismatchException? Refusal { get; private set; }

        /// <summary>
        /// Offers only the key types known_hosts lists for the host, when it lists any, so that a host with several
        /// keys presents one that can be checked (as OpenSSH orders its algorithms). Host certificates are not offered.
        /// </summary>
        public void Restrict(IDictionary<string, Func<byte[], Renci.SshNet.Security.KeyHostAlgorithm>> algorithms)
        {
            var known = ssh.HostKeyFingerprint is null && ssh.KnownHostsPath is { } path ? KnownHostsFile.Load(path).KeyTypesFor(hostName) : null;
            foreach (var name in algorithms.Keys.ToList())
            {
                var keyType = name.StartsWith("rsa-sha2-", StringComparison.Ordinal) ? "ssh-rsa" : name;
                if (name.Contains("-cert-", StringComparison.Ordinal) || (known is { Count: > 0 } && !known.Contains(keyType)))
                {
                    algorithms.Remove(name);
                }
            }
        }

        public void OnHostKeyReceived(object? sender, HostKeyEventArgs e)
        {
            var presented = "SHA256:" + e.FingerPrintSHA256;
            if (ssh.HostKeyFingerprint is { } pinned)
            {
                e.CanTrust = string.Equals(presented, pinned, StringComparison.Ordinal);
                Refusal = e.CanTrust ? null : new HostKeyMismatchException(name, endpoint, pinned, presented);
                return;
            }

            var path = ssh.KnownHostsPath!;
            var file = KnownHostsFile.Load(path);
            switch (file.Check(hostName, e.HostKey))
            {
                case KnownHostVerdict.Trusted:
                    e.CanTrust = true;
                    break;
                case KnownHostVerdict.Unknown when ssh.TrustOnFirstUse:
                    e.CanTrust = true;
                    unknownKey = e.HostKey;
                    break;
                case KnownHostVerdict.Unknown:
                    e.CanTrust = false;
                    Refusal = new HostKeyMismatchException(name, endpoint, $"a key listed for '{hostName}' in '{path}', which lists none", presented);
                    break;
                case KnownHostVerdict.Revoked:
                    e.CanTrust = false;
                    Refusal = new HostKeyMismatchException(name, endpoint, $"a key not marked @revoked in '{path}'", presented);
                    break;
                default:
                    e.CanTrust = false;
                    Refusal = new HostKeyMismatchException(name, endpoint, $"{string.Join(" or ", file.FingerprintsFor(hostName))} (listed for '{hostName}' in '{path}')", presented);
                    break;
            }
        }

        /// <summary>Records a key accepted on first use; whether one was.</summary>
        public bool Record()
        {
            if (unknownKey is null)
            {
                return false;
            }

            KnownHostsFile.Append(ssh.KnownHostsPath!, hostName, unknownKey);
            return true;
        }
    }
}
