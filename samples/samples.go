// Package samples embeds the sample subscribedskus catalogue, so that
// `bulkassign run --simulate` and `bulkassign fake-server` work from any directory.
// The CSVs beside it are the inputs the README's examples use.
package samples

import _ "embed"

// Catalogue is samples/subscribedskus.json: the example catalogue of the
// "Get a list of available licenses by license group" page, fixed to valid JSON,
// plus Office 365 Enterprise E3 and E5 with thousands of units.
//
//go:embed subscribedskus.json
var Catalogue []byte
