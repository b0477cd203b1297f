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
// # Users
//
// With Options.Users (the user pre-flight, --check-users), Build lists each customer's
// users once, with one paged ListUsersPages call per customer and never a call per row,
// once the file has been read without problems and every catalogue fetched. A row's user is
// matched by object ID or by user principal name, in any case, and Row.UserID carries the
// object ID of the user found. Rows are planned as skipped, with the reason, when Partner
// Center would refuse them:
//
//	user not found: <user> is not a user of customer <id>
//	user not active: <user> is <state>            (a state other than "active"; none counts as active)
//	no usage location: <user> has none; set one before assigning licenses
//
// The last applies only to rows that assign a SKU: a row that only removes one does not
// need a usage location. Capacity is counted after the check, so skipped rows request no
// units, and a user whose rows are all skipped gets no update. A file that names one user
// by object ID in some rows and by principal name in others draws a warning: the two
// names group into separate requests. A listing failure stops Build with the error
// wrapped as "list users of customer <id>: ..."; nothing is planned. The listing is
// never held: before it starts, the names the customer's rows give their users are
// indexed by a 32-bit hash (about 12 bytes a name, no copy of any name), and each page is
// matched against them as it arrives and then dropped, so that a directory of a million
// users costs no more memory than the users the file names. Of those the plan keeps only
// the object ID (16 bytes for a GUID in lower case), state and usage location (about 30
// bytes a user).
//
// # Scale
//
// The file is read as a stream through gocsv's pull-style unmarshaller, and the plan
// keeps rows as small records without pointers, so that a million rows plan in about a
// second within a few hundred megabytes (see BenchmarkBuild and scripts/plan-bench.sh).
//
// The Partner Center calls involved are described at
// https://learn.microsoft.com/partner-center/developer/get-a-list-of-available-licenses-by-license-group,
// https://learn.microsoft.com/partner-center/developer/get-a-list-of-all-user-accounts-for-a-customer
// and https://learn.microsoft.com/partner-center/developer/assign-licenses-to-a-user
package planner
