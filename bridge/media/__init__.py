"""Pictures (MMS): fetching a customer's from the provider, keeping an author's to serve."""
