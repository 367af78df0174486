using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace EmailSettings.Tests.Support;

/// <summary>A form read from server-rendered HTML, to post it back as a browser would (hidden fields included).</summary>
public sealed class HtmlForm
{
    private HtmlForm(string? action, Dictionary<string, string> fields)
    {
        Action = action;
        Fields = fields;
    }

    /// <summary>The action attribute, or null when the form posts to the page's own address.</summary>
    public string? Action { get; }

    /// <summary>Every named input with its rendered value (hidden fields such as the antiforgery token included).</summary>
    public Dictionary<string, string> Fields { get; }

    /// <summary>The first form matching <paramref name="selector"/>; fails the test when there is none.</summary>
    public static HtmlForm Parse(string html, string selector = "form")
    {
        var document = new HtmlParser().ParseDocument(html);
        var form = document.QuerySelector(selector) as IHtmlFormElement;
        form.Should().NotBeNull($"the page should have a form matching \"{selector}\"");
        var fields = form!.QuerySelectorAll("input[name]").OfType<IHtmlInputElement>()
            .Where(i => i.Type is not ("checkbox" or "radio") || i.IsChecked)
            .GroupBy(i => i.Name!)
            .ToDictionary(g => g.Key, g => g.First().Value);
        return new HtmlForm(form.GetAttribute("action"), fields);
    }

    public FormUrlEncodedContent Content(IDictionary<string, string>? values = null)
    {
        var all = new Dictionary<string, string>(Fields);
        foreach (var (name, value) in values ?? new Dictionary<string, string>())
        {
            all[name] = value;
        }
        return new FormUrlEncodedContent(all);
    }
}
