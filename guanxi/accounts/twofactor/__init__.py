"""Two-factor sign-in (TOTP with django-otp, recovery codes as a static device)."""
