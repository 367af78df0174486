namespace EmailSettings.Core.Common;

public enum ResultStatus
{
    Ok,
    Invalid,
    NotFound,
}

/// <summary>
/// The outcome of a service call whose failure is expected (bad input, an id not in this tenant):
/// field-keyed messages a dialog shows next to its inputs, or one message for the whole form.
/// </summary>
public sealed class Result<T>
{
    private Result(ResultStatus status, T? value, IReadOnlyDictionary<string, string> fieldErrors, string? message)
    {
        Status = status;
        Value = value;
        FieldErrors = fieldErrors;
        Message = message;
    }

    public ResultStatus Status { get; }
    public bool Succeeded => Status == ResultStatus.Ok;
    public T? Value { get; }

    /// <summary>Field name (the input's property name) to the message shown next to that field.</summary>
    public IReadOnlyDictionary<string, string> FieldErrors { get; }

    /// <summary>A message for the whole form, or null.</summary>
    public string? Message { get; }

    public string? ErrorFor(string field) => FieldErrors.GetValueOrDefault(field);

    public static Result<T> Ok(T value) => new(ResultStatus.Ok, value, Empty, null);

    public static Result<T> Invalid(IReadOnlyDictionary<string, string> fieldErrors, string? message = null) =>
        new(ResultStatus.Invalid, default, fieldErrors, message ?? "Please correct the highlighted fields.");

    public static Result<T> Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string> { [field] = message });

    public static Result<T> NotFound(string message) => new(ResultStatus.NotFound, default, Empty, message);

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();
}
