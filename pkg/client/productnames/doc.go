// Package productnames turns the names admins know ("Office 365 E3") into the
// identifiers Microsoft Graph uses, and back. Graph's subscribedSkus
// (https://learn.microsoft.com/en-us/graph/api/resources/subscribedsku) gives only
// skuId and skuPartNumber (ENTERPRISEPACK). Microsoft publishes the display names in
// "Product names and service plan identifiers for licensing"
// (https://learn.microsoft.com/en-us/entra/identity/users/licensing-service-plan-reference),
// also as a CSV file:
//
//	https://download.microsoft.com/download/e/3/e/e3e9faf2-f28b-490a-9ada-c6089a1fc5b0/Product%20names%20and%20service%20plan%20identifiers%20for%20licensing.csv
//
// The file has the columns Product_Display_Name, String_Id (the part number), GUID (the
// skuId), Service_Plan_Name, Service_Plan_Id and Service_Plans_Included_Friendly_Names,
// one row per product and service plan, in UTF-8 with a byte order mark and CRLF line ends.
//
//	t := productnames.Default()
//	p, ok := t.ByID(sku.SkuID)                 // the name of a tenant's SKU
//	matches := t.Lookup("office 365 e3")        // what an admin typed: name, part number or GUID
//
// Load and LoadFile read a table in that format from elsewhere, for instance a newer
// download. Match products by GUID where one is known: display names are not unique
// (two products are called "Azure Information Protection Plan 1"), part numbers
// nearly so (MCOPSTN5 has two GUIDs), and Microsoft renames products.
//
// # The pinned copy
//
// Default reads pinned/products.csv, embedded in the binary. The copy this package was
// written and tested against is Microsoft's file as published (byte order mark and CRLF
// line ends intact), kept in a public repository:
//
//	repository  github.com/nubrixsecurity/zero-trust-assessment
//	path        Product names and service plan identifiers for licensing.csv
//	commit      082295adb083e479bad6070b05d1776225a57095 ("Add files via upload",
//	            2025-12-30 22:41 -0600; unchanged at 7ea92b67324f, 2026-01-04)
//	blob        f628ab46c4ad3cd94917a9b0bb45075f348536d8
//	sha256      3665b48f640a1359a05d9f263c13000e5e7c8d6fa6447e1b0c999071bdd6f486
//	size        1,030,499 bytes; 5,458 lines: the header and 5,457 rows
//	contents    569 products, 723 service plans
//
// Microsoft's file carries no date or version; the copy was taken on or before
// 2025-12-30. (KelvinTegelaar/CIPP-API keeps a newer table, 5,990 rows at adf32422 of
// 2026-08-08, in Config/ConversionTable.csv, but re-exported by PowerShell without the
// byte order mark and with LF line ends, so not in the published form. It loads too.)
//
// To refresh the copy, where the internet can be reached, run from the module root
//
//	go run ./scripts/update-productnames
//
// which downloads Microsoft's file, checks that it loads and still has Office 365 E3,
// writes it to pinned/products.csv unchanged, and prints its size, SHA-256 and counts
// for the block above; or pass -from with a file already downloaded. Then run this
// package's tests, and update the block above.
package productnames
