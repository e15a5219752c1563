"""One module per resource of the API: its typed models (named after, and checked against, the
schemas of docs/openapi.json) and a small class whose methods are its routes. Adding a kind is
one module here, one attribute on `mediabatch_client.MediaBatch`, and one command group in
`mediabatch_client.cli.commands`."""
