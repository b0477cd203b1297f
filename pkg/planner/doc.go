// Package planner turns an input CSV of user/SKU rows into a Plan: every row validated,
// resolved against its customer's catalogue, grouped into LicenseUpdate requests and
// checked against the units available, before anything is sent.
//
// # Input
//
// The file has a header row. Header names match in any case and order, with surrounding
// spaces ignored; the file may be UTF-8 with or without a byte-order mark, with LF or
// CRLF line ends, quoted fields and blank lines. The columns are:
//
//   - user (required): the user's object ID or user principal name.
//   - sku (required unless remove_sku is there): the SKU to assign, by product name
//     ("Office 365 Enterprise E3"), part number (ENTERPRISEPACK) or product SKU ID, in
//     any case.
//   - remove_sku: a SKU to remove in the same request; a row with both is a swap.
//   - excluded_plans: service plans of sku to leave off, separated by ";", each by
//     service name, display name or ID.
//   - customer: the row's customer ID; Options.DefaultCustomer (--customer) otherwise.
//
// Other columns are ignored with a warning.
//
// # Planning
//
// Build fetches each customer's catalogue once (GetSubscribedSkus for license groups
// 1 and 2) and resolves every row against it; a misspelt SKU or service plan is a
// problem that names the line and suggests the closest names. Each customer, user and
// license group gets one Update carrying all of that user's assignments and removals in
// the group: one request never mixes license groups. Duplicate rows are merged with a
// warning; contradictions (get and lose the same SKU, the same SKU with other excluded
// plans) are problems. Every problem of the file is reported at once, each with the file
// line its row starts on, in an *InputError.
//
// Capacity is checked per customer and SKU. Under ShortfallAbort a shortfall returns the
// plan with a *ShortfallError; under ShortfallPartial rows are granted in file order
// while units last and the rest are planned as skipped.
//
// # Scale
//
// The file is read as a stream through gocsv's pull-style unmarshaller, and the plan
// keeps rows as small records without pointers, so that a million rows plan in about a
// second within a few hundred megabytes (see BenchmarkBuild and scripts/plan-bench.sh).
//
// The Partner Center calls involved are described at
// https://learn.microsoft.com/partner-center/developer/get-a-list-of-available-licenses-by-license-group
// and https://learn.microsoft.com/partner-center/developer/assign-licenses-to-a-user
package planner
