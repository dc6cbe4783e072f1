using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace ChaosEdge.Inventory;

/// <summary>Strict parsers for the value kinds an inventory holds.</summary>
public static partial class ValueParsers
{
    /// <summary>
    /// Parses an IP address strictly: IPv4 only in full dotted-quad form (<see cref="IPAddress.TryParse(string, out IPAddress)"/>
    /// alone would accept <c>10.1</c> as <c>10.0.0.1</c>).
    /// </summary>
    public static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        if (!IPAddress.TryParse(text, out var parsed))
        {
            return false;
        }

        if (parsed.AddressFamily == AddressFamily.InterNetwork && parsed.ToString() != text)
        {
            return false;
        }

        address = parsed;
        return true;
    }

    /// <summary>Parses a network in CIDR notation whose host bits are zero (<c>198.18.0.0/24</c>).</summary>
    public static bool TryParseNetwork(string text, out IPNetwork network)
    {
        network = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !TryParseAddress(text[..slash], out _))
        {
            return false;
        }

        // IPNetwork accepts '198.18.0.5/24' and quietly masks the host bits; a typo there must not pass.
        return IPNetwork.TryParse(text, out network) && network.BaseAddress.ToString() == text[..slash];
    }

    /// <summary>A Kubernetes-style DNS label: lower-case letters, digits and '-', 1–63 characters.</summary>
    public static bool IsDnsLabel(string text) => text.Length is > 0 and <= 63 && DnsLabel().IsMatch(text);

    /// <summary>An OpenSSH SHA256 fingerprint as <c>ssh-keygen -lf</c> prints it: <c>SHA256:</c> and 43 base64 characters.</summary>
    public static bool IsSha256Fingerprint(string text) => Sha256Fingerprint().IsMatch(text);

    /// <summary>
    /// Expands a pool entry: a single address, an inclusive range <c>first-last</c>, or a CIDR network.
    /// At most <paramref name="limit"/> addresses.
    /// </summary>
    public static bool TryExpandPoolEntry(string text, int limit, out IReadOnlyList<IPAddress> addresses, out string? error)
    {
        addresses = [];
        error = null;
        if (text.Contains('/', StringComparison.Ordinal))
        {
            if (!TryParseNetwork(text, out var network))
            {
                error = $"'{text}' is not a network in CIDR notation.";
                return false;
            }

            var first = network.BaseAddress;
            var size = BigIntegerPow2((first.AddressFamily == AddressFamily.InterNetwork ? 32 : 128) - network.PrefixLength);
            return TryRange(text, first, size, limit, out addresses, out error);
        }

        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            if (!TryParseAddress(text[..dash].Trim(), out var from) || !TryParseAddress(text[(dash + 1)..].Trim(), out var to) || from.AddressFamily != to.AddressFamily)
            {
                error = $"'{text}' is not an address range like '198.18.0.200-198.18.0.209'.";
                return false;
            }

            var count = ToNumber(to) - ToNumber(from) + 1;
            if (count <= 0)
            {
                error = $"range '{text}' ends before it starts.";
                return false;
            }

            return TryRange(text, from, count, limit, out addresses, out error);
        }

        if (!TryParseAddress(text, out var single))
        {
            error = $"'{text}' is not an IP address, range or CIDR network.";
            return false;
        }

        addresses = [single];
        return true;
    }

    private static bool TryRange(string text, IPAddress first, System.Numerics.BigInteger count, int limit, out IReadOnlyList<IPAddress> addresses, out string? error)
    {
        addresses = [];
        error = null;
        if (count > limit)
        {
            error = $"'{text}' holds more than {limit.ToString(CultureInfo.InvariantCulture)} addresses.";
            return false;
        }

        var start = ToNumber(first);
        var bytes = first.GetAddressBytes().Length;
        var list = new List<IPAddress>((int)count);
        for (var i = System.Numerics.BigInteger.Zero; i < count; i++)
        {
            list.Add(FromNumber(start + i, bytes));
        }

        addresses = list;
        return true;
    }

    private static System.Numerics.BigInteger BigIntegerPow2(int exponent) => System.Numerics.BigInteger.One << exponent;

    private static System.Numerics.BigInteger ToNumber(IPAddress address) =>
        new(address.GetAddressBytes(), isUnsigned: true, isBigEndian: true);

    private static IPAddress FromNumber(System.Numerics.BigInteger value, int bytes)
    {
        var raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var padded = new byte[bytes];
        raw.CopyTo(padded, bytes - raw.Length);
        return new IPAddress(padded);
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^SHA256:[A-Za-z0-9+/]{43}$", RegexOptions.CultureInvariant)]
    private static partial Regex Sha256Fingerprint();

    /// <summary>Durations as Kubernetes and K3s flags write them: <c>40s</c>, <c>5m</c>, <c>1m30s</c>, <c>500ms</c>, <c>1h</c>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var match = System.Text.RegularExpressions.Regex.Match(text, "^(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+)s)?(?:(\\d+)ms)?$");
        if (text.Length == 0 || !match.Success)
        {
            return false;
        }

        int Part(int group) => match.Groups[group].Success ? int.Parse(match.Groups[group].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        value = new TimeSpan(0, Part(1), Part(2), Part(3), Part(4));
        return true;
    }
}
