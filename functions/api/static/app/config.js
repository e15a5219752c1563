// Where the page finds the API. Empty: the site that serves this page (the API itself, as with
// `make run`). On another host (S3, a CDN), set the API's address, e.g.
//   window.MEDIABATCH_API = "https://abc123.execute-api.eu-west-1.amazonaws.com";
// The "API address" field of the page overrides it.
window.MEDIABATCH_API = window.MEDIABATCH_API || "";
