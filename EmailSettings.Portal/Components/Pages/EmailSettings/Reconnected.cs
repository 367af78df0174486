using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.OAuth;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>Reconnect on a server card completed its sign-in: the section passes the card's server and the new grant up.</summary>
public sealed record ServerReconnected(MailServerSummary Server, OAuthGrantInfo Grant);

/// <summary>Reconnect on an account card completed its sign-in, like <see cref="ServerReconnected"/>.</summary>
public sealed record AccountReconnected(EmailAccountSummary Account, OAuthGrantInfo Grant);
