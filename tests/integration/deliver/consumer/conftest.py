from tests.support.fixtures import hub_settings, hub_signer, pki, publish  # noqa: F401
