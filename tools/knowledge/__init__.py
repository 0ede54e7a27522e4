"""Dev-only tools for the add-on's knowledge objects: an offline model of Splunk search-time field processing,
and the scripts that derive the test data (CIM definitions, Auth0 log shapes) from their public sources."""
