// Package samples embeds the sample subscribedskus catalogue, so that
// `bulkassign run --simulate` and `bulkassign fake-server` work from any directory.
// The CSVs beside it are the inputs the README's examples use.
package samples

import "embed"

// Catalogue is samples/subscribedskus.json: the example catalogue of the
// "Get a list of available licenses by license group" page, fixed to valid JSON,
// plus Office 365 Enterprise E3 and E5 with thousands of units.
//
//go:embed subscribedskus.json
var Catalogue []byte

// GraphCatalogue is samples/graph-subscribedskus.json: the same products in Microsoft
// Graph's subscribedSkus shape (plus one SKU that applies to the company, not to users),
// for `--simulate --api graph` and `fake-server --api graph`.
//
//go:embed graph-subscribedskus.json
var GraphCatalogue []byte

// Inputs are the sample input files by name, for seeding a local API with their users.
//
//go:embed onboarding.csv migration.csv shortfall.csv
var Inputs embed.FS
