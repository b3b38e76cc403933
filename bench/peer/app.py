"""The peer: microblog's public list and single-post reads in FastAPI + SQLAlchemy, written as
the tutorials we started from write them (ORM models, a session per request, Pydantic
responses), over the same database file. Run: `uvicorn app:app` with PEER_DATABASE set."""
import os
from datetime import datetime, timezone
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Session, relationship, selectinload, sessionmaker

engine = create_engine(f"sqlite:///{os.environ['PEER_DATABASE']}")
SessionLocal = sessionmaker(bind=engine)


class Base(DeclarativeBase):
    pass


class Tag(Base):
    __tablename__ = "tag"
    id = Column(Integer, primary_key=True)
    name = Column(String, unique=True)


class PostTag(Base):
    __tablename__ = "post_tag"
    post_id = Column(Integer, ForeignKey("post.id"), primary_key=True)
    tag_id = Column(Integer, ForeignKey("tag.id"), primary_key=True)
    position = Column(Integer)
    tag = relationship(Tag)


class Post(Base):
    __tablename__ = "post"
    id = Column(Integer, primary_key=True)
    content = Column(Text)
    content_html = Column(Text)
    title = Column(String)
    slug = Column(String)
    visible = Column(Boolean)
    publish_at = Column(DateTime)
    publication_time = Column(DateTime)
    created = Column(DateTime)
    edited = Column(DateTime)
    deleted = Column(DateTime)
    post_tags = relationship(PostTag, order_by=PostTag.position)


class PostOut(BaseModel):
    id: int
    content: str
    content_html: str
    title: str | None
    slug: str
    tags: list[str]
    visible: bool
    publish_at: datetime | None
    created: datetime
    edited: datetime | None


class PostPage(BaseModel):
    items: list[PostOut]
    next_cursor: str | None


app = FastAPI()


def get_session():
    with SessionLocal() as session:
        yield session


DatabaseSession = Annotated[Session, Depends(get_session)]


def public_posts(now):
    return (
        select(Post)
        .where(Post.visible.is_(True), Post.deleted.is_(None), Post.publication_time <= now)
        .options(selectinload(Post.post_tags).selectinload(PostTag.tag))
    )


def out(post):
    return PostOut(
        id=post.id, content=post.content, content_html=post.content_html, title=post.title,
        slug=post.slug, tags=[post_tag.tag.name for post_tag in post.post_tags], visible=post.visible,
        publish_at=post.publish_at, created=post.created, edited=post.edited,
    )


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


@app.get("/api/v1/posts", response_model=PostPage)
def list_posts(session: DatabaseSession):
    query = public_posts(utcnow()).order_by(Post.publication_time.desc(), Post.id.desc()).limit(21)
    posts = session.scalars(query).all()
    return PostPage(items=[out(post) for post in posts[:20]],
                    next_cursor=f"{posts[19].publication_time.isoformat()},{posts[19].id}" if len(posts) > 20 else None)


@app.get("/api/v1/posts/{post_id}", response_model=PostOut)
def get_post(post_id: int, session: DatabaseSession):
    post = session.scalars(public_posts(utcnow()).where(Post.id == post_id)).first()
    if post is None:
        raise HTTPException(status_code=404, detail="No public post has this id.")
    return out(post)
