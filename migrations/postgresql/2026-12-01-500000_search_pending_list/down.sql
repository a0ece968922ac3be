ALTER INDEX tips_search_text_trgm RESET (fastupdate, gin_pending_list_limit);
