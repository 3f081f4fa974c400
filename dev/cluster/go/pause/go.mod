module thurkube.local/tools/pause

go 1.26.0
