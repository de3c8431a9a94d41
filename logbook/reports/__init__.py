"""Response-time reports: the live dashboard's figures and the monthly PDF
per customer, all computed from logbook entries (the logbook imports nothing
of ours)."""


def monthly_pdf(customer_id: int, year: int, month: int) -> bytes:
    """The monthly report of one customer as PDF bytes (PORTAL links to it)."""
    from logbook.reports.monthly import monthly_pdf as build

    return build(customer_id, year, month)
