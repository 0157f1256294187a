module maie.io/tools/gobin/pause

go 1.24.0
