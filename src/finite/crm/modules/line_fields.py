"""The fields of a line item (quotes, orders and invoices), part of the registry: records
validate them (records/line_items.py), the documents and docs describe them."""

from __future__ import annotations

from finite.crm.modules.fields import Field, FieldType

QUANTITY = Field("quantity", "Quantity", FieldType.DECIMAL)
LIST_PRICE = Field("list_price", "List Price", FieldType.MONEY)
_DISCOUNT = Field("discount", "Discount", FieldType.MONEY)
_TAX_RATE = Field("tax_rate", "Tax Rate", FieldType.PERCENT)
_DESCRIPTION = Field("description", "Description", FieldType.LONG_TEXT, max_length=2000)
_PRODUCT = Field("product_id", "Product", FieldType.LOOKUP, target="products")
LINE_FIELDS = (_PRODUCT, _DESCRIPTION, QUANTITY, LIST_PRICE, _DISCOUNT, _TAX_RATE)
