using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;

namespace EmailSettings.Tests.Portal.EmailSettings;

/// <summary>Finds MudBlazor inputs, buttons and messages the way a user does: by label, by caption, next to the field.</summary>
internal static class MudMarkup
{
    /// <summary>The input whose &lt;label for&gt; reads exactly <paramref name="label"/>.</summary>
    public static IElement Input<T>(this IRenderedComponent<T> cut, string label) where T : IComponent
    {
        var labels = cut.FindAll("label[for]").Where(l => l.TextContent.Trim() == label).ToList();
        labels.Should().ContainSingle($"one label reads \"{label}\" in {cut.Markup}");
        return cut.Find($"#{labels[0].GetAttribute("for")}");
    }

    /// <summary>The value an input shows ("" when the attribute is absent).</summary>
    public static string Value(this IElement input) => input.GetAttribute("value") ?? "";

    /// <summary>The checkbox of a MudSwitch whose label reads <paramref name="label"/>.</summary>
    public static IElement Switch<T>(this IRenderedComponent<T> cut, string label) where T : IComponent =>
        cut.FindAll("label.mud-switch").Single(l => l.TextContent.Trim() == label).QuerySelector("input[type=checkbox]")!;

    /// <summary>The helper or error text under the field labelled <paramref name="label"/>.</summary>
    public static string MessageUnder<T>(this IRenderedComponent<T> cut, string label) where T : IComponent
    {
        var control = cut.Input(label).Closest(".mud-input-control")!;
        return control.QuerySelector(".mud-input-helper-text")?.TextContent.Trim() ?? "";
    }

    public static bool HasErrorUnder<T>(this IRenderedComponent<T> cut, string label) where T : IComponent =>
        cut.Input(label).Closest(".mud-input-control")!.QuerySelector(".mud-input-error") is not null;

    /// <summary>The labels of every field that shows an error now, in the order of the form.</summary>
    public static IReadOnlyList<string> HighlightedFields<T>(this IRenderedComponent<T> cut) where T : IComponent =>
        cut.FindAll(".mud-input-control")
            .Where(c => c.QuerySelector(".mud-input-error") is not null)
            .Select(c => c.QuerySelector("label[for]")?.TextContent.Trim() ?? "")
            .ToList();

    /// <summary>Opens the MudSelect labelled <paramref name="label"/> and clicks the item that reads <paramref name="item"/>.</summary>
    public static void Choose<T>(this IRenderedComponent<T> cut, string label, string item) where T : IComponent
    {
        cut.Input(label).Closest(".mud-input-control")!.MouseDown();
        cut.WaitForAssertion(() => cut.FindAll(".mud-popover-open .mud-list-item").Should().NotBeEmpty());
        cut.FindAll(".mud-popover-open .mud-list-item").Single(i => i.TextContent.Trim() == item).Click();
    }

    public static IElement Button<T>(this IRenderedComponent<T> cut, string caption) where T : IComponent
    {
        var buttons = cut.FindAll("button").Where(b => b.TextContent.Trim() == caption || b.GetAttribute("aria-label") == caption).ToList();
        buttons.Should().ContainSingle($"one button reads \"{caption}\"");
        return buttons[0];
    }

    public static bool HasButton<T>(this IRenderedComponent<T> cut, string caption) where T : IComponent =>
        cut.FindAll("button").Any(b => b.TextContent.Trim() == caption || b.GetAttribute("aria-label") == caption);

    public static IReadOnlyList<string> Snackbars<T>(this IRenderedComponent<T> cut) where T : IComponent =>
        cut.FindAll(".mud-snackbar-content-message").Select(e => e.TextContent.Trim()).ToList();
}
