// Opens the OAuth2 sign-in links (data-oauth-popup) in a small popup window, synchronously in the click, so popup
// blockers allow it. The page behind keeps its Blazor circuit and the open dialog. Without this script (or when the
// popup is blocked) the link still opens in a new tab through its target.
document.addEventListener('click', function (event) {
    var link = event.target instanceof Element ? event.target.closest('a[data-oauth-popup]') : null;
    if (!link) {
        return;
    }
    var popup = window.open(link.href, link.target || 'oauth-signin', 'popup,width=520,height=700');
    if (popup) {
        event.preventDefault();
    }
});
