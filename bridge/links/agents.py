"""Who asked for a short link: a person's click, or a machine that must not count as one.

Messaging apps fetch a link to draw its preview as soon as a text arrives, and mail and
security gateways fetch it to scan it; neither is the customer clicking. A request is not
counted when it is a HEAD (previews and link checkers ask only for headers), has no
User-Agent (a browser always sends one), or its User-Agent names one of ``PREVIEW_AGENTS``
(matched in any case, anywhere in the header). docs/links.md lists them; extend the list
there and here together.
"""

from __future__ import annotations

__all__ = ["PREVIEW_AGENTS", "not_counted_because"]

# (what the User-Agent contains, lower-case; the name recorded and reported)
PREVIEW_AGENTS: tuple[tuple[str, str], ...] = (
    ("whatsapp", "WhatsApp"),
    ("facebookexternalhit", "Facebook/iMessage preview"),  # iMessage sends this one too
    ("facebot", "Facebook/iMessage preview"),
    ("slackbot", "Slackbot"),
    ("slack-imgproxy", "Slackbot"),
    ("telegrambot", "TelegramBot"),  # before Twitterbot: it says "like TwitterBot"
    ("twitterbot", "Twitterbot"),
    ("discordbot", "Discordbot"),
    ("linkedinbot", "LinkedInBot"),
    ("skypeuripreview", "SkypeUriPreview"),
    ("microsoftpreview", "Microsoft preview"),
    ("applebot", "Applebot"),
    ("linkpresentation", "iMessage LinkPresentation"),
    ("googlebot", "Googlebot"),
    ("google-pagerenderer", "Google preview"),
    ("bingbot", "bingbot"),
    ("bingpreview", "BingPreview"),
    ("yandexbot", "YandexBot"),
    ("duckduckbot", "DuckDuckBot"),
    ("safelinks", "Outlook Safe Links"),
    ("office365", "Microsoft 365 scanner"),
    ("proofpoint", "Proofpoint"),
    ("mimecast", "Mimecast"),
    ("barracuda", "Barracuda"),
    ("symantec", "Symantec scanner"),
    ("zscaler", "Zscaler"),
    ("viber", "Viber"),
    ("snapchat", "Snapchat"),
    ("pinterest", "Pinterest"),
    ("embedly", "Embedly"),
    ("curl/", "curl"),
    ("wget/", "Wget"),
    ("python-requests", "python-requests"),
    ("go-http-client", "Go HTTP client"),
    ("bot/", "a bot"),  # last: any other agent that names itself a bot, or gives its URL
    ("bot;", "a bot"),
    ("+http", "a bot"),
    ("crawler", "a crawler"),
    ("spider", "a spider"),
)


def not_counted_because(method: str, user_agent: str) -> str:
    """Why this request is not a click ("" when it is one)."""
    if method.upper() == "HEAD":
        return "HEAD request"
    agent = user_agent.lower().strip()
    if not agent:
        return "no User-Agent"
    for needle, name in PREVIEW_AGENTS:
        if needle in agent:
            return name
    return ""
