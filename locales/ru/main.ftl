# Сообщения tipdesk на русском. Идентификаторы и переменные — те же, что в
# locales/en (это проверяет tests/i18n.rs).
#
# Словарь — всегда одно и то же слово:
#   tip               сообщение (то, что присылает читатель)
#   desk              отдел проверки
#   reference         номер сообщения (TD-XXXX-XXXX-XXXX)
#   article           статья
#   correction        исправление
#   new information   новые сведения
#   quoted passage    цитата из статьи
#   contact           контакт
#   character         символ
#
# Числа с количеством — с формами one/few/many (1 секунду, 3 секунды,
# 5 секунд, 21 секунду).

language-name = Русский
