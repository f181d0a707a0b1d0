package forward

// The parsers, for the fuzz targets in package forward_test.
var (
	ParseHECResponse  = parseHECResponse
	ParseBulkResponse = parseBulkResponse
	ParseCursor       = parseCursor
)
