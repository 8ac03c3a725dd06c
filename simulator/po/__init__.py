"""Purchase-order files: parsing and validation, Faker-made examples, upload into a workflow."""

from simulator.po.fake import fake_po
from simulator.po.model import MAX_FILE_BYTES, MAX_LINES, MAX_QUANTITY, POFileError, POLine, PurchaseOrderFile
from simulator.po.parse import CSV_COLUMNS, parse_po
from simulator.po.upload import UnknownMerchantError, UploadResult, ensure_merchant, upload_po

__all__ = [
    "CSV_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_LINES",
    "MAX_QUANTITY",
    "POFileError",
    "POLine",
    "PurchaseOrderFile",
    "UnknownMerchantError",
    "UploadResult",
    "ensure_merchant",
    "fake_po",
    "parse_po",
    "upload_po",
]
