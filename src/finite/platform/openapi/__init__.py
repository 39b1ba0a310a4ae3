"""The OpenAPI documents of both surfaces, built from the app's registered routes.

`hints` lets a handler that reads its request by hand (raw JSON body, query parameters, headers)
describe what it reads; `crm_shapes` holds the JSON shapes of CRM answers built as plain dicts;
`document` builds a surface's document; `endpoints` serves the documents and the docs pages.
"""
