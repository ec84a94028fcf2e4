from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient


def test_azurite_serves_tables_and_blobs(storage_connection: str, unique_name: str) -> None:
    tables = TableServiceClient.from_connection_string(storage_connection)
    table = tables.create_table_if_not_exists(unique_name)
    table.upsert_entity({"PartitionKey": "p", "RowKey": "r", "Value": 1})
    assert table.get_entity("p", "r")["Value"] == 1
    blobs = BlobServiceClient.from_connection_string(storage_connection)
    container = blobs.create_container(unique_name)
    container.upload_blob("a.txt", b"hello")
    assert container.download_blob("a.txt").readall() == b"hello"
