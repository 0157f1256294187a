module maie.io/tools/time-zones

go 1.22
