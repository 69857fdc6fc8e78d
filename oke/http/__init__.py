"""HTTP front door of the KRS/Toetsplanning mock: OAuth2, OKE endpoints, OpenAPI, and the sender."""
