"""GraphMailSender: the MailSender port over msgraph-sdk, sending as one mailbox.

msgraph-sdk is async and the Functions worker calls `send` synchronously: each send runs in a fresh
event loop (in a thread of its own if the caller's thread already runs one), with its own SDK client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from cynare.adapters.graph.compose import fits_one_request, graph_attachment, graph_message, needs_upload_session
from cynare.adapters.graph.failures import Redactor, Step, delivery_failed
from cynare.adapters.graph.session import Endpoint, graph_client
from cynare.adapters.graph.upload import hide_upload_tokens_in_logs, upload_in_ranges
from cynare.service_layer.reconciliation.ports import Attachment, DeliveryFailed, MailMessage

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from msgraph.generated.users.item.messages.item.message_item_request_builder import MessageItemRequestBuilder
    from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder

logger = logging.getLogger(__name__)
T = TypeVar("T")


class GraphMailSender:
    """Sends each MailMessage once as `mailbox`; raises DeliveryFailed (see failures.py).

    `secrets` are texts that must never appear in an error (the client secret): they are redacted.
    """

    def __init__(
        self,
        mailbox: str,
        credential: TokenCredential,
        *,
        endpoint: Endpoint | None = None,
        save_to_sent_items: bool = True,
        secrets: Iterable[str] = (),
    ) -> None:
        self.mailbox = mailbox
        self.endpoint = endpoint or Endpoint()
        self.save_to_sent_items = save_to_sent_items
        self._credential = credential
        self._redact = Redactor(secrets)
        hide_upload_tokens_in_logs()

    def __repr__(self) -> str:
        return f"GraphMailSender(mailbox={self.mailbox!r}, graph={self.endpoint.url!r})"

    @property
    def credential(self) -> TokenCredential:
        return self._credential

    def send(self, message: MailMessage) -> None:
        if not message.to:
            raise DeliveryFailed("the report mail has no To recipient: set the report's recipients", retryable=False)
        _run(self._send(message))

    async def _send(self, message: MailMessage) -> None:
        async with graph_client(self._credential, self.endpoint) as client:
            user = client.users.by_user_id(self.mailbox)
            if fits_one_request(message):
                await self._step(Step("sending the message (sendMail)", self.mailbox), self._send_mail(user, message))
                route = "sendMail"
            else:
                await self._send_as_draft(user, message)
                route = "a draft with its attachments uploaded"
        logger.info(
            "report mail %r sent as %s to %d recipient(s) through %s",
            message.subject,
            self.mailbox,
            len(message.to) + len(message.cc),
            route,
        )

    async def _send_mail(self, user: UserItemRequestBuilder, message: MailMessage) -> None:
        from msgraph.generated.users.item.send_mail.send_mail_post_request_body import SendMailPostRequestBody

        body = SendMailPostRequestBody(
            message=graph_message(message, with_attachments=True), save_to_sent_items=self.save_to_sent_items
        )
        await user.send_mail.post(body)

    async def _send_as_draft(self, user: UserItemRequestBuilder, message: MailMessage) -> None:
        draft = await self._step(
            Step("creating the draft", self.mailbox, via_draft=True),
            user.messages.post(graph_message(message, with_attachments=False)),
        )
        if draft is None or not draft.id:
            raise DeliveryFailed("Graph made the draft but returned no id; try again later", retryable=True)
        item = user.messages.by_message_id(draft.id)
        try:
            async with httpx.AsyncClient(timeout=self.endpoint.http_timeout()) as uploads:
                for attachment in message.attachments:
                    if needs_upload_session(attachment):
                        await self._upload(item, uploads, attachment)
                    else:
                        await self._step(
                            Step(f"attaching {attachment.name}", self.mailbox, via_draft=True),
                            item.attachments.post(graph_attachment(attachment)),
                        )
        except DeliveryFailed:
            await _discard(item)
            raise
        await self._step(Step("sending the draft", self.mailbox), item.send.post())

    async def _upload(
        self, item: MessageItemRequestBuilder, uploads: httpx.AsyncClient, attachment: Attachment
    ) -> None:
        from msgraph.generated.models.attachment_item import AttachmentItem
        from msgraph.generated.models.attachment_type import AttachmentType
        from msgraph.generated.users.item.messages.item.attachments.create_upload_session.create_upload_session_post_request_body import (
            CreateUploadSessionPostRequestBody,
        )

        request = CreateUploadSessionPostRequestBody(
            attachment_item=AttachmentItem(
                attachment_type=AttachmentType.File,
                name=attachment.name,
                size=len(attachment.content),
                content_type=attachment.content_type,
                is_inline=bool(attachment.content_id),
                content_id=attachment.content_id or None,
            )
        )
        step = Step(f"opening an upload session for {attachment.name}", self.mailbox, via_draft=True)
        session = await self._step(step, item.attachments.create_upload_session.post(request))
        if session is None or not session.upload_url:
            raise DeliveryFailed("Graph opened an upload session without an uploadUrl; try again later", retryable=True)
        step = Step(f"uploading {attachment.name}", self.mailbox, via_draft=True)
        await self._step(step, upload_in_ranges(uploads, session.upload_url, attachment.content))

    async def _step(self, step: Step, call: Coroutine[Any, Any, T]) -> T:
        try:
            return await call
        except DeliveryFailed:
            raise
        except Exception as exc:
            raise delivery_failed(exc, step, self._redact) from exc


async def _discard(item: MessageItemRequestBuilder) -> None:
    """Delete a draft that will not be sent, so that retries leave no half-made drafts in the mailbox."""
    try:
        await item.delete()
    except Exception:  # best effort: the failure being reported matters more
        logger.warning("a report draft could not be deleted from the mailbox; delete it by hand")


def _run(call: Coroutine[Any, Any, None]) -> None:
    """Run `call` to the end in a fresh event loop, in another thread if this one already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(call)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="graph-send") as pool:
        pool.submit(asyncio.run, call).result()
