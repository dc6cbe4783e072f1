using System.Globalization;
using System.Text;
using Renci.SshNet;

namespace ChaosEdge.Ssh;

public sealed partial class SshNodeShell
{
    /// <summary>A command started on a channel: its execution, and the process group it reported on standard error.</summary>
    private sealed class RunningCommand : IDisposable
    {
        /// <summary>What the wrapper prints, followed by its process-group id, before the command's own standard error.</summary>
        public const string GroupMarker = "ce-pgid:";

        private readonly Lock gate = new();
        private Task<(int? Group, string Before)>? marker;

        public RunningCommand(SshClient client, SshCommand command, Task execution)
        {
            Client = client;
            Command = command;
            Execution = execution;
        }

        public SshClient Client { get; }

        public SshCommand Command { get; }

        public Task Execution { get; }

        /// <summary>The exit code, or 128 + the signal number for a command ended by a signal; <c>null</c> when the channel closed without either.</summary>
        public int? ExitCode => Command.ExitStatus ?? Command.ExitSignal switch
        {
            null => null,
            "HUP" => 129,
            "INT" => 130,
            "QUIT" => 131,
            "ABRT" => 134,
            "KILL" => 137,
            "SEGV" => 139,
            "PIPE" => 141,
            "ALRM" => 142,
            "TERM" => 143,
            _ => 128,
        };

        /// <summary>The command's process group on the node, once it reported it; <c>null</c> if it did not within <paramref name="wait"/>.</summary>
        public async Task<int?> ProcessGroupAsync(TimeSpan wait)
        {
            try
            {
                return (await Marker().WaitAsync(wait).ConfigureAwait(false)).Group;
            }
            catch (TimeoutException)
            {
                return null;
            }
        }

        /// <summary>The command's standard error, without the wrapper's line; call once the command has ended.</summary>
        public async Task<string> StderrAsync()
        {
            Task<(int? Group, string Before)>? read;
            lock (gate)
            {
                read = marker;
            }

            if (read is null)
            {
                // Not read while the command ran: the whole of it is there now, the wrapper's line (normally) first.
                var all = Command.Error;
                int at;
                if (all.StartsWith(GroupMarker, StringComparison.Ordinal))
                {
                    at = 0;
                }
                else
                {
                    var found = all.IndexOf("\n" + GroupMarker, StringComparison.Ordinal);
                    if (found < 0)
                    {
                        return all;
                    }

                    at = found + 1;
                }

                var end = all.IndexOf('\n', at);
                return all[..at] + (end < 0 ? string.Empty : all[(end + 1)..]);
            }

            var (group, before) = await read.ConfigureAwait(false);
            return group is null ? before : before + Command.Error;
        }

        /// <summary>Stops waiting for a command whose node no longer answers (SSH.NET waits for the node's answer: on a thread of its own).</summary>
        public void Abandon() => Aside(() =>
        {
            try
            {
                Command.CancelAsync(forceKill: true, millisecondsTimeout: 100);
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or Renci.SshNet.Common.SshException)
            {
                // Already ended.
            }
        });

        /// <summary>
        /// Closes the channel. A channel the node has closed already closes at once; one still open waits for the node's
        /// acknowledgement (SSH.NET blocks up to its channel-close timeout, long on a dead connection), so that wait is on a
        /// thread of its own, never the caller's or a pool thread.
        /// </summary>
        public void Dispose()
        {
            if (Execution.IsCompleted)
            {
                Command.Dispose();
            }
            else
            {
                Aside(Command.Dispose);
            }
        }

        /// <summary>
        /// Starts reading standard error up to the wrapper's line (normally the very first), keeping what came before
        /// it. SSH.NET's output streams block their reader, so the read has a thread of its own, never a pool thread.
        /// </summary>
        private Task<(int? Group, string Before)> Marker()
        {
            lock (gate)
            {
                return marker ??= Task.Factory.StartNew(() => ReadMarker(Command.ExtendedOutputStream), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
        }

        /// <summary>Runs a blocking SSH.NET call on a thread of its own, and forgets it.</summary>
        internal static void Aside(Action action) =>
            _ = Task.Factory.StartNew(
                () =>
                {
                    try
                    {
                        action();
                    }
                    catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or IOException or System.Net.Sockets.SocketException or Renci.SshNet.Common.SshException)
                    {
                        // A connection or channel that is going away anyway.
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);

        private static (int? Group, string Before) ReadMarker(Stream stderr)
        {
            var before = new StringBuilder();
            var line = new List<byte>(64);
            try
            {
                int next;
                while ((next = stderr.ReadByte()) >= 0)
                {
                    if (next != '\n')
                    {
                        line.Add((byte)next);
                        continue;
                    }

                    var text = Encoding.UTF8.GetString([.. line]);
                    line.Clear();
                    if (text.StartsWith(GroupMarker, StringComparison.Ordinal)
                        && int.TryParse(text.AsSpan(GroupMarker.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var group))
                    {
                        return (group, before.ToString());
                    }

                    before.Append(text).Append('\n');
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The channel went away; whatever was read is all there is.
            }

            return (null, before.Append(Encoding.UTF8.GetString([.. line])).ToString());
        }
    }
}
