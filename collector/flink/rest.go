package flink

import "github.com/pipewatch/pipewatch/collector/httpclient"

// number is a JSON number that the REST API may also send as a string, a
// boolean or null; see httpclient.Number.
type number = httpclient.Number
