using Microsoft.Playwright;

namespace EmailSettings.Tests.Support;

public static class MudSwitchExtensions
{
    /// <summary>
    /// Turns a MudSwitch on or off the way a user does: one click, then waits until it shows the new state.
    /// </summary>
    /// <remarks>
    /// A MudSwitch is a checkbox with role="switch", so Playwright reads its aria-checked, which follows the server's
    /// next render. <c>CheckAsync</c> checks the state right after its click and fails when the circuit is slow.
    /// </remarks>
    public static async Task SetSwitchAsync(this ILocator toggle, bool on)
    {
        if (await toggle.IsCheckedAsync() != on)
        {
            await toggle.ClickAsync();
        }
        await Assertions.Expect(toggle).ToBeCheckedAsync(new() { Checked = on });
    }
}
