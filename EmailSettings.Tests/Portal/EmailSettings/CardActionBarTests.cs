using Bunit;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Support;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace EmailSettings.Tests.Portal.EmailSettings;

/// <summary>The card buttons' one tooltip per bar: it follows hover and keyboard focus, and says why a button is off.</summary>
public class CardActionBarTests
{
    [Fact]
    public async Task The_tooltip_follows_the_pointer_and_the_focus_and_Escape_or_leaving_hides_it()
    {
        await using var ui = await BunitCore.CreateAsync();
        var providers = ui.Providers;
        var clicked = new List<string>();
        var bar = ui.Context.Render<CardActionBar>(p => p.Add(b => b.Actions,
        [
            new CardAction("Edit Production SMTP", Icons.Material.Filled.Edit, EventCallback.Factory.Create(this, () => clicked.Add("edit"))),
            new CardAction("Delete Production SMTP", Icons.Material.Filled.Delete, EventCallback.Factory.Create(this, () => clicked.Add("delete"))),
        ]));
        var slots = bar.FindAll(".card-action");
        providers.Tooltips().Should().BeEmpty("no tooltip exists until a button is pointed at or focused");

        slots[0].PointerEnter();
        providers.WaitForAssertion(() => providers.Tooltips().Should().Equal("Edit Production SMTP"));
        bar.FindAll(".card-action")[1].PointerEnter();
        providers.WaitForAssertion(() => providers.Tooltips().Should().Equal("Delete Production SMTP"));
        bar.Find(".card-action-bar").PointerLeave();
        providers.WaitForAssertion(() => providers.Tooltips().Should().BeEmpty());

        bar.FindAll(".card-action")[0].FocusIn();
        providers.WaitForAssertion(() => providers.Tooltips().Should().Equal("Edit Production SMTP"));
        bar.Find(".card-action-bar").KeyDown(new KeyboardEventArgs { Key = "Escape" });
        providers.WaitForAssertion(() => providers.Tooltips().Should().BeEmpty());
        bar.FindAll(".card-action")[1].FocusIn();
        providers.WaitForAssertion(() => providers.Tooltips().Should().Equal("Delete Production SMTP"));
        bar.Find(".card-action-bar").FocusOut();
        providers.WaitForAssertion(() => providers.Tooltips().Should().BeEmpty());

        // The tooltip sits beside the button: the buttons still work.
        bar.Find("button[aria-label='Delete Production SMTP']").Click();
        clicked.Should().Equal("delete");
    }

    [Fact]
    public async Task A_button_that_is_off_keeps_a_focusable_slot_that_names_it_and_says_why()
    {
        await using var ui = await BunitCore.CreateAsync();
        var providers = ui.Providers;
        var bar = ui.Context.Render<CardActionBar>(p => p.Add(b => b.Actions,
        [
            new CardAction("Send test email from Sales", Icons.Material.Filled.Send, default) { DisabledReason = "Choose a mail server to send", Tip = "Send test email" },
            new CardAction("Edit Sales", Icons.Material.Filled.Edit, default),
        ]));

        var off = bar.FindAll(".card-action")[0];
        off.GetAttribute("tabindex").Should().Be("0");
        off.GetAttribute("role").Should().Be("button");
        off.GetAttribute("aria-disabled").Should().Be("true");
        off.GetAttribute("aria-label").Should().Be("Send test email from Sales");
        off.GetAttribute("aria-description").Should().Be("Choose a mail server to send");
        var button = off.QuerySelector("button")!;
        button.HasAttribute("disabled").Should().BeTrue();
        button.GetAttribute("aria-hidden").Should().Be("true", "the slot is the one assistive technology announces");
        var on = bar.FindAll(".card-action")[1];
        on.HasAttribute("tabindex").Should().BeFalse();
        on.HasAttribute("role").Should().BeFalse();
        on.QuerySelector("button")!.HasAttribute("disabled").Should().BeFalse();

        off.FocusIn();
        providers.WaitForAssertion(() => providers.Tooltips().Should().Equal("Choose a mail server to send"));

        // A reason for the whole bar (a change being saved) turns every button off and is what every tip says.
        bar.Render(p => p.Add(b => b.DisabledReason, "Wait until the current change is saved"));
        bar.FindAll(".card-action[aria-disabled='true']").Should().HaveCount(2);
        bar.FindAll(".card-action")[1].FocusIn();
        providers.WaitForAssertion(() => providers.Tooltips().Should().Equal("Wait until the current change is saved"));
    }

    /// <summary>
    /// CardActionBar relies on MudTooltip's markup (see the comment at the top of CardActionBar.razor): one root element
    /// with RootClass, which holds the popover's anchor (the element MudBlazor's script positions the popover against is
    /// the anchor's parent), nothing rendered for empty child content, and the popover open from its first render.
    /// If MudBlazor changes any of this, the bar's tooltips would point at the wrong place or not show: this fails first.
    /// </summary>
    [Fact]
    public async Task MudTooltip_markup_is_what_the_action_bar_relies_on()
    {
        await using var ui = await BunitCore.CreateAsync();
        var providers = ui.Providers;

        var tooltip = ui.Context.Render<MudTooltip>(p => p
            .Add(t => t.Text, "Edit Production SMTP")
            .Add(t => t.Visible, true)
            .Add(t => t.Placement, Placement.Top)
            .Add(t => t.ShowOnHover, false)
            .Add(t => t.ShowOnFocus, false)
            .Add(t => t.RootClass, "action-tip-anchor"));

        tooltip.Nodes.OfType<AngleSharp.Dom.IElement>().Should().ContainSingle("MudTooltip renders one root element");
        var root = tooltip.Find(".action-tip-anchor");
        root.Children.Should().ContainSingle("empty child content renders nothing, only the popover's anchor");
        var anchor = root.Children[0];
        anchor.Id.Should().StartWith("popover-");
        var id = anchor.Id!["popover-".Length..];
        providers.WaitForAssertion(() =>
        {
            var content = providers.Find($"#popovercontent-{id}");
            content.ClassList.Should().Contain("mud-popover-open").And.Contain("mud-tooltip");
            content.TextContent.Trim().Should().Be("Edit Production SMTP");
        });
    }
}
