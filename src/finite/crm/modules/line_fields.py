"""The fields of a line item (quotes, orders and invoices), part of the registry: records
validate them (records/line_items.py), the documents and docs describe them."""

from __future__ import annotations

from finite.crm.modules.fields import Field

QUANTITY = Field("quantity", "Quantity", "decimal")
LIST_PRICE = Field("list_price", "List Price", "money")
_DISCOUNT = Field("discount", "Discount", "money")
_TAX_RATE = Field("tax_rate", "Tax Rate", "percent")
_DESCRIPTION = Field("description", "Description", "long_text", max_length=2000)
_PRODUCT = Field("product_id", "Product", "lookup", target="products")
LINE_FIELDS = (_PRODUCT, _DESCRIPTION, QUANTITY, LIST_PRICE, _DISCOUNT, _TAX_RATE)
