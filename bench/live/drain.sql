SELECT status FROM mv_distinct_technologies_refresh();
