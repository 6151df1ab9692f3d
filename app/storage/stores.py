"""Which blob store the app uses: the local one in DATA_DIR, or S3 when DOORSTEP_STORAGE_URL is
set. The storage commands build both from the same settings (app/storage/cli.py)."""
from app.storage.store import BlobStore


def local(config):
    return BlobStore(config["DATA_DIR"])


def s3(config, **options):
    """The S3 store the settings name; ValueError when DOORSTEP_STORAGE_URL is empty."""
    if not config.get("STORAGE_URL"):
        raise ValueError("DOORSTEP_STORAGE_URL is not set: it names the S3 store "
                         "(s3://bucket/prefix)")
    from app.storage.s3 import S3BlobStore     # boto3 is loaded only where S3 is used
    return S3BlobStore(config["STORAGE_URL"], endpoint_url=config.get("STORAGE_ENDPOINT_URL"),
                       region=config.get("STORAGE_REGION"),
                       access_key=config.get("STORAGE_ACCESS_KEY_ID"),
                       secret_key=config.get("STORAGE_SECRET_ACCESS_KEY"), **options)


def from_config(config):
    return s3(config) if config.get("STORAGE_URL") else local(config)
