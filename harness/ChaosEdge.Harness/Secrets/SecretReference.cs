using ChaosEdge.Errors;

namespace ChaosEdge.Secrets;

/// <summary>Where a secret comes from. The inventory never holds a secret's value, only this reference.</summary>
public enum SecretSource
{
    /// <summary>An environment variable of the harness process.</summary>
    Environment,

    /// <summary>A file whose content (trailing newline removed) is the secret.</summary>
    File,
}

/// <summary>
/// A reference to a secret (BMC password, join token). <see cref="ToString"/> shows the reference, never the value;
/// <see cref="Resolve"/> reads the value and registers it with <see cref="SecretRedactor"/> so it can never reach a
/// log line, report or exception message.
/// </summary>
public sealed record SecretReference(SecretSource Source, string Name)
{
    /// <summary>Reads the secret's value and registers it for redaction.</summary>
    /// <exception cref="ChaosEdgeException">The variable is unset or the file cannot be read.</exception>
    public string Resolve()
    {
        string? value;
        if (Source == SecretSource.Environment)
        {
            value = System.Environment.GetEnvironmentVariable(Name);
            if (string.IsNullOrEmpty(value))
            {
                throw new ChaosEdgeException($"Secret environment variable '{Name}' is not set.");
            }
        }
        else
        {
            try
            {
                value = System.IO.File.ReadAllText(Name).TrimEnd('\r', '\n');
            }
            catch (IOException e)
            {
                throw new ChaosEdgeException($"Secret file '{Name}' cannot be read: {e.Message}", e);
            }
        }

        SecretRedactor.Register(value);
        return value;
    }

    public override string ToString() => Source == SecretSource.Environment ? $"env:{Name}" : $"file:{Name}";
}
