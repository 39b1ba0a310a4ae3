"""The OpenAPI documents of both surfaces, built from the app's registered routes.

A layer above the products: it walks both surfaces' routes. What a product declares on its own
routes lives below it: `finite.platform.openapi_hints` (what a handler reads by hand) and
`finite.crm.openapi_shapes` (the JSON shapes of CRM answers built as plain dicts). Here,
`document` builds a surface's document, `crm_modules` the schemas of the CRM's modules, and
`endpoints` serves the documents and the docs pages.
"""
