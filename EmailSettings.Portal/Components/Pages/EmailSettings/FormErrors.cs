using EmailSettings.Core.Common;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>How the server and account dialogs keep field messages and the form message in step with Core's results.</summary>
internal static class FormErrors
{
    /// <summary>Updates only <paramref name="fields"/> from the current client-side check, leaving other messages as they are.</summary>
    public static void Refresh(Dictionary<string, string> errors, IReadOnlyDictionary<string, string> current, IEnumerable<string> fields)
    {
        foreach (var field in fields)
        {
            if (current.TryGetValue(field, out var message))
            {
                errors[field] = message;
            }
            else
            {
                errors.Remove(field);
            }
        }
    }

    /// <summary>The result's own message plus the field messages that have no input on the form to show them.</summary>
    public static string FormMessage<T>(Result<T> result, IReadOnlySet<string> fieldsWithInputs) =>
        string.Join(" ", new[] { result.Message }
            .Concat(result.FieldErrors.Where(e => !fieldsWithInputs.Contains(e.Key)).Select(e => e.Value))
            .Where(m => !string.IsNullOrEmpty(m)));
}
