DROP TABLE desk_reminders;
