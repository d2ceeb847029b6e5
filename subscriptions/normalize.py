"""Email address normalisation: one spelling per mailbox, so uniqueness means something."""

import idna


def normalize_email(address: str) -> str:
    """Trim, lower-case the domain and IDNA-encode it; keep the local part as typed.

    ``Reader@Example.COM`` → ``Reader@example.com``; ``a@bücher.example`` →
    ``a@xn--bcher-kva.example``. Uniqueness is on the lower-cased result (see
    ``Subscriber.Meta``), because mailbox providers ignore local-part case in practice.
    Raises ``ValueError`` for something that is not ``local@domain``.
    """
    address = (address or "").strip()
    local, sep, domain = address.rpartition("@")
    if not sep or not local or not domain:
        raise ValueError("not an email address")
    domain = domain.rstrip(".")
    try:
        domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"invalid domain: {exc}") from exc
    return f"{local}@{domain.lower()}"
