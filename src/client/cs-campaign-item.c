/* cs-campaign-item.c: being written */
