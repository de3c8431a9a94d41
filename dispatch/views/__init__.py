"""Views of dispatch: staff pages and panels (staff.py), pages reached by a
signed link or a provider's webhook, without an account (public.py)."""
