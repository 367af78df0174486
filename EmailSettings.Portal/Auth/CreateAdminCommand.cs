using EmailSettings.Core.Identity;

namespace EmailSettings.Portal.Auth;

/// <summary>
/// <c>create-admin --tenant NAME --email EMAIL [--password-stdin | --password PASSWORD]</c>: creates the tenant when no
/// tenant has that name, then a tenant administrator in it. Without a password option a strong password is
/// generated and printed once. Runs instead of the web server (see Program.cs).
/// </summary>
public sealed class CreateAdminCommand
{
    public const string Name = "create-admin";

    public const string Usage = """
        Usage: dotnet run --project EmailSettings.Portal -- create-admin --tenant <name> --email <email> [--password-stdin | --password <password>]

          --tenant <name>     The tenant (organisation). Created when no tenant has this name.
          --email <email>     The administrator's email address, used to sign in.
          --password-stdin    Read the password from the first line of standard input (keeps it out of shell history).
          --password <pw>     The password on the command line (visible in the process list; prefer --password-stdin).
          (neither)           Generate a strong password and print it once.
        """;

    public string? Tenant { get; private init; }
    public string? Email { get; private init; }
    public string? Password { get; private init; }
    public bool PasswordFromStdin { get; private init; }

    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] == Name;

    /// <summary>Parses the options after the command name; returns null and the reason when they are not usable.</summary>
    public static CreateAdminCommand? Parse(string[] args, out string? error)
    {
        string? tenant = null, email = null, password = null;
        var stdin = false;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--tenant" when i + 1 < args.Length:
                    tenant = args[++i];
                    break;
                case "--email" when i + 1 < args.Length:
                    email = args[++i];
                    break;
                case "--password" when i + 1 < args.Length:
                    password = args[++i];
                    break;
                case "--password-stdin":
                    stdin = true;
                    break;
                default:
                    error = $"Unknown or incomplete option \"{args[i]}\".";
                    return null;
            }
        }
        error = tenant is null ? "--tenant is required."
            : email is null ? "--email is required."
            : stdin && password is not null ? "Use either --password or --password-stdin, not both."
            : null;
        return error is null ? new CreateAdminCommand { Tenant = tenant, Email = email, Password = password, PasswordFromStdin = stdin } : null;
    }

    /// <summary>Runs the command from <paramref name="args"/> (starting with "create-admin"); returns the process exit code.</summary>
    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        var command = Parse(args, out var problem);
        if (command is null)
        {
            await error.WriteLineAsync(problem);
            await error.WriteLineAsync(Usage);
            return 2;
        }

        var password = command.Password;
        if (command.PasswordFromStdin)
        {
            password = (await input.ReadLineAsync())?.TrimEnd('\r', '\n');
            if (string.IsNullOrEmpty(password))
            {
                await error.WriteLineAsync("--password-stdin was given but standard input had no password.");
                return 2;
            }
        }

        await using var scope = services.CreateAsyncScope();
        var administration = scope.ServiceProvider.GetRequiredService<TenantAdministration>();
        var result = await administration.CreateUserAsync(command.Tenant!, command.Email!, password, isTenantAdmin: true);
        if (!result.Succeeded)
        {
            foreach (var (field, message) in result.FieldErrors)
            {
                await error.WriteLineAsync($"{field}: {message}");
            }
            return 1;
        }

        var created = result.Value!;
        await output.WriteLineAsync(created.TenantCreated
            ? $"Created tenant \"{created.TenantName}\" ({created.TenantId})."
            : $"Using the existing tenant \"{created.TenantName}\" ({created.TenantId}).");
        await output.WriteLineAsync($"Created tenant administrator {created.Email}.");
        if (created.GeneratedPassword is not null)
        {
            await output.WriteLineAsync($"Generated password (shown only now, store it safely): {created.GeneratedPassword}");
        }
        return 0;
    }
}
