"""SMS providers: one small interface (``base.Provider``) and one module per provider."""
