"""schemathesis hooks for .ci/schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

`format: phone` (accounts.apis.PhoneField): a string of the pattern's shape that is also a
valid phone number. No pattern can say "valid number", so the fuzzer draws real ones, in the
forms clients send (E.164 and international spacing), from phonenumbers' examples.
"""

import phonenumbers
import schemathesis
from hypothesis import strategies as st

_EXAMPLES = [
    number
    for region in sorted(phonenumbers.SUPPORTED_REGIONS)
    if (number := phonenumbers.example_number(region)) is not None
]
_FORMATS = [phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL]

schemathesis.openapi.format(
    "phone",
    st.builds(phonenumbers.format_number, st.sampled_from(_EXAMPLES), st.sampled_from(_FORMATS)),
)
