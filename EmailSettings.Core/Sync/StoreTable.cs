using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace EmailSettings.Core.Sync;

/// <summary>
/// An entity's table as the database names it, from the EF model: the delimited table name, its bare name (as
/// PostgreSQL reports it in errors), and each property's delimited column. For the sync's hand-built statements, so
/// they write exactly the table and columns EF maps.
/// </summary>
internal sealed class StoreTable
{
    private readonly IReadOnlyDictionary<string, string> columns;

    private StoreTable(IEntityType entity, string name, string tableName, IReadOnlyDictionary<string, string> columns)
    {
        Entity = entity;
        Name = name;
        TableName = tableName;
        this.columns = columns;
    }

    public IEntityType Entity { get; }

    /// <summary>The delimited (and schema-qualified) table name.</summary>
    public string Name { get; }

    /// <summary>The table's bare name.</summary>
    public string TableName { get; }

    /// <summary>The delimited column of the property named <paramref name="property"/>.</summary>
    public string this[string property] => columns[property];

    public static StoreTable Of<T>(DbContext db)
    {
        var sql = db.GetService<ISqlGenerationHelper>();
        var entity = db.Model.FindEntityType(typeof(T))!;
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        return new StoreTable(
            entity,
            sql.DelimitIdentifier(table.Name, table.Schema),
            table.Name,
            entity.GetProperties().ToDictionary(p => p.Name, p => sql.DelimitIdentifier(p.GetColumnName(table)!)));
    }
}
