namespace EmailSettings.Core.Common;

/// <summary>
/// The order the settings page lists servers and accounts in: by name, ignoring case, then by id. A fixed order that
/// does not depend on the default flag keeps a card where it is when it becomes the default (the keyboard focus stays
/// on it), and the id breaks ties between equal names so a reload never swaps two cards.
/// </summary>
public static class DisplayOrder
{
    /// <summary>Culture-aware but independent of the server's locale ("émile" sorts beside "Emil", not after "Z").</summary>
    public static readonly StringComparer Names = StringComparer.InvariantCultureIgnoreCase;

    /// <summary>
    /// Sorts in memory after the query: SQL collations differ per provider (SQLite's NOCASE folds ASCII only), and a
    /// tenant's list is read whole anyway.
    /// </summary>
    public static IReadOnlyList<T> ByName<T>(IEnumerable<T> items, Func<T, string> name, Func<T, int> id) =>
        items.OrderBy(name, Names).ThenBy(id).ToList();
}
