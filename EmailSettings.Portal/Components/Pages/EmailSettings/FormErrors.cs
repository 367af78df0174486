using EmailSettings.Core.Common;
using MudBlazor;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>
/// The field messages of one dialog (server, account, send test), shown through MudBlazor's own validation.
/// <para>
/// Why not the inputs' <c>Error</c>/<c>ErrorText</c> parameters: a MudBlazor input owns its error state and its own
/// validation overwrites it (for example it clears the error once "abc" in a number field is replaced by a number), while a
/// parameter reaches the input again only when its value differs from the one passed last time. So a second failed save
/// with the same message as the first highlighted nothing. Here every input asks this object for its message each time it
/// validates (<c>Validation="@(errors.Check&lt;T&gt;(field))"</c>), and every save re-validates all inputs of the dialog's
/// <see cref="MudForm"/>, so each failed save shows every message it found, whatever the previous attempt showed.
/// </para>
/// </summary>
/// <example>
/// <code>
/// &lt;MudForm @ref="form"&gt;
///     &lt;MudTextField T="string" @bind-Value="input.Name" @bind-Value:after="@(() => errors.RefreshAsync(form, input.Validate(), nameof(input.Name)))"
///                   Validation="@(errors.Check&lt;string&gt;(nameof(input.Name)))" /&gt;
/// &lt;/MudForm&gt;
/// ...
/// if (!await errors.ShowAsync(form, input.Validate())) { /* say so and stay open */ }
/// </code>
/// </example>
internal sealed class FormErrors
{
    private readonly Dictionary<string, string> messages = [];
    private readonly Dictionary<string, Delegate> checks = [];

    /// <summary>True after the first save attempt: from then on the fields are checked again as they are edited.</summary>
    public bool Attempted { get; private set; }

    /// <summary>How many fields have a message now.</summary>
    public int Count => messages.Count;

    /// <summary>The message of <paramref name="field"/>, or null.</summary>
    public string? this[string field] => messages.GetValueOrDefault(field);

    /// <summary>
    /// The <c>Validation</c> function of the input bound to <paramref name="field"/> (<typeparamref name="T"/> is the input's
    /// value type): returns that field's current message. The same instance every time, so a render passes no new parameter.
    /// </summary>
    public Func<T, string?> Check<T>(string field)
    {
        if (!checks.TryGetValue(field, out var check))
        {
            check = checks[field] = new Func<T, string?>(_ => messages.GetValueOrDefault(field));
        }
        return (Func<T, string?>)check;
    }

    /// <summary>
    /// A save attempt: replaces every message with <paramref name="found"/> and has every input of <paramref name="form"/>
    /// validate again, so each shows its message (or MudBlazor's own, such as "Not a valid number").
    /// </summary>
    /// <returns>True when nothing is wrong: no message and no input with an error of its own.</returns>
    public async Task<bool> ShowAsync(MudForm? form, IReadOnlyDictionary<string, string> found)
    {
        Attempted = true;
        messages.Clear();
        foreach (var (field, message) in found)
        {
            messages[field] = message;
        }
        if (form is null)
        {
            return messages.Count == 0;
        }
        await form.ValidateAsync();
        return messages.Count == 0 && form.IsValid;
    }

    /// <summary>
    /// After a save attempt, takes the messages of <paramref name="fields"/> (the ones just edited, and those whose rule
    /// reads them) from the current client-side check <paramref name="current"/>; other messages, such as the service's,
    /// stay until their own field is edited. Every input validates again, so a related field updates too.
    /// </summary>
    public async Task RefreshAsync(MudForm? form, IReadOnlyDictionary<string, string> current, params string[] fields)
    {
        if (!Attempted)
        {
            return;
        }
        foreach (var field in fields)
        {
            if (current.TryGetValue(field, out var message))
            {
                messages[field] = message;
            }
            else
            {
                messages.Remove(field);
            }
        }
        if (form is not null)
        {
            await form.ValidateAsync();
        }
    }

    /// <summary>
    /// The snackbar of a refused save, once: saving again while it is still shown adds no second copy over the dialog
    /// (the form message and the highlighted fields say the same).
    /// </summary>
    public static void Warn(ISnackbar snackbar, string message) =>
        snackbar.Add(message, Severity.Warning, o => o.DuplicatesBehavior = SnackbarDuplicatesBehavior.Prevent);

    /// <summary>The result's own message plus the field messages that have no input on the form to show them.</summary>
    public static string FormMessage<T>(Result<T> result, IReadOnlySet<string> fieldsWithInputs) =>
        string.Join(" ", new[] { result.Message }
            .Concat(result.FieldErrors.Where(e => !fieldsWithInputs.Contains(e.Key)).Select(e => e.Value))
            .Where(m => !string.IsNullOrEmpty(m)));
}
